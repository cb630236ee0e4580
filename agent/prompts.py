"""The texts a policy is shown: the system prompts and how problems and observations are worded.

One source for training (step data), acting (the agent loop) and RLVR (its first prompt), so a trained
model sees at run time exactly the layout it was trained on: ``swe_first_messages`` (system prompt and
problem) followed by ``action_turn`` pairs (an assistant turn, then its observation as a user turn).

Every text that comes from outside (problem, observation, action or reply, math question and steps)
passes :func:`agent.untrusted.neutralise` here, so a special-token string in it stays text whoever
tokenizes the conversation (the tokenizer's own special tokens are neutralised where it is known).
"""

from __future__ import annotations

from agent.untrusted import neutralise

SWE_SYSTEM_PROMPT = """\
You are a software engineer working in a repository at /testbed. Solve the task one action at a time.

Answer every turn in this exact format: first your private reasoning inside <think>...</think>, then
exactly one tool call, and nothing after it:

<think>
what you know so far and what to do next
</think>
<function=TOOL_NAME>
<parameter=NAME>VALUE</parameter>
</function>

Tools:
1. execute_bash: run one bash command; `cd` and exported variables persist between calls.
   <parameter=command> (required) the command line.
2. str_replace_editor: view, create and edit files.
   <parameter=command> (required) one of view, create, str_replace, insert, undo_edit.
   <parameter=path> (required) absolute path of a file or folder.
   <parameter=file_text> (create) the whole content of the new file.
   <parameter=old_str> (str_replace) text that occurs exactly once in the file.
   <parameter=new_str> (str_replace, insert) the replacement or inserted text.
   <parameter=insert_line> (insert) insert after this line number.
   <parameter=view_range> (view, optional) JSON list [first_line, last_line]; -1 means the end.
3. finish: call it, with no parameters, when the task is solved.
"""

MATH_SYSTEM_PROMPT = """\
You solve a math problem one step at a time. You are given the problem and the steps written so
far. Think privately inside <think>...</think>, then write only the next step of the solution after
</think>. The final step states the answer as \\boxed{ANSWER}.
"""

OBSERVATION_HEADER = "OBSERVATION:\n"


def swe_problem_message(problem: str) -> str:
    return f"<task>\n{neutralise(problem.strip())}\n</task>"


def observation_message(observation: str) -> str:
    return OBSERVATION_HEADER + neutralise(observation)


def swe_first_messages(problem: str) -> list[dict[str, str]]:
    """The head of every SWE conversation: the system prompt, then the problem as the first user turn."""
    return [
        {"role": "system", "content": SWE_SYSTEM_PROMPT},
        {"role": "user", "content": swe_problem_message(problem)},
    ]


def action_turn(reply: str, observation: str) -> tuple[dict[str, str], dict[str, str]]:
    """One assistant turn (an action or a whole reply) and the user turn answering it."""
    answer = {"role": "user", "content": observation_message(observation)}
    return {"role": "assistant", "content": neutralise(reply)}, answer


def math_problem_message(question: str, previous_steps: list[str]) -> str:
    lines = [f"Problem:\n{neutralise(question.strip())}"]
    if previous_steps:
        lines.append("Steps so far:\n" + "\n\n".join(neutralise(step) for step in previous_steps))
    else:
        lines.append("Steps so far: none yet.")
    lines.append("Write the next step.")
    return "\n\n".join(lines)
