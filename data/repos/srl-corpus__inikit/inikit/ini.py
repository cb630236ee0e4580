"""Parsing and writing INI files: sections, key = value pairs, comments and typed getters."""

from __future__ import annotations

TRUE_WORDS = {"1", "yes", "true", "on"}
FALSE_WORDS = {"0", "no", "false", "off"}
COMMENT_PREFIXES = ("#", ";")


class IniError(ValueError):
    """Raised for malformed INI text, with the 1-based line number."""

    def __init__(self, message, line_number):
        super().__init__(f"line {line_number}: {message}")
        self.line_number = line_number


class Config:
    """Sections of string values, with typed accessors."""

    def __init__(self):
        self._sections = {}

    def sections(self):
        """Section names in the order they were first seen."""
        return list(self._sections)

    def has_section(self, name):
        return name in self._sections

    def add_section(self, name):
        if not name:
            raise ValueError("section name must not be empty")
        self._sections.setdefault(name, {})

    def set(self, section, key, value):
        self.add_section(section)
        self._sections[section][key.lower()] = str(value)

    def keys(self, section):
        return list(self._sections.get(section, {}))

    def get(self, section, key, default=None):
        """The raw string value, or ``default`` when the section or key is missing."""
        return self._sections.get(section, {}).get(key.lower(), default)

    def get_int(self, section, key, default=None):
        value = self.get(section, key)
        if value is None:
            return default
        return int(value)

    def get_float(self, section, key, default=None):
        value = self.get(section, key)
        if value is None:
            return default
        return float(value)

    def get_bool(self, section, key, default=None):
        value = self.get(section, key)
        if value is None:
            return default
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(f"not a boolean: {value!r}")

    def get_list(self, section, key, separator=","):
        """A comma-separated value as a list of stripped, non-empty items."""
        value = self.get(section, key)
        if value is None:
            return []
        return [item.strip() for item in value.split(separator) if item.strip()]

    def remove(self, section, key):
        """Delete a key; return True when it existed."""
        values = self._sections.get(section, {})
        return values.pop(key.lower(), None) is not None

    def merge(self, other):
        """Copy every value of ``other`` over this config (other wins)."""
        for section in other.sections():
            for key in other.keys(section):
                self.set(section, key, other.get(section, key))
        return self

    def as_dict(self):
        return {name: dict(values) for name, values in self._sections.items()}


def strip_inline_comment(value):
    """Remove a trailing `` ;`` or `` #`` comment that is preceded by whitespace."""
    for index, char in enumerate(value):
        if char in COMMENT_PREFIXES and index > 0 and value[index - 1] in " \t":
            return value[:index].rstrip()
    return value


def unquote(value):
    """Strip one pair of matching single or double quotes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_ini(text, default_section="DEFAULT"):
    """Parse INI text into a :class:`Config`.

    Keys before any section header go to ``default_section``. A line starting with whitespace
    continues the previous value. ``key: value`` is accepted as well as ``key = value``.
    """
    config = Config()
    section = default_section
    last_key = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(COMMENT_PREFIXES):
            continue
        if raw[0] in " \t" and last_key is not None:
            previous = config.get(section, last_key)
            config.set(section, last_key, previous + "\n" + stripped)
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                raise IniError("unterminated section header", number)
            section = stripped[1:-1].strip()
            if not section:
                raise IniError("empty section name", number)
            config.add_section(section)
            last_key = None
            continue
        separator = _separator_index(stripped)
        if separator == -1:
            raise IniError(f"expected key = value, got {stripped!r}", number)
        key = stripped[:separator].strip()
        if not key:
            raise IniError("empty key", number)
        value = unquote(strip_inline_comment(stripped[separator + 1 :].strip()))
        config.set(section, key, value)
        last_key = key
    return config


def _separator_index(line):
    """Index of the first ``=`` or ``:``, whichever comes first; -1 when neither is present."""
    positions = [line.find(sep) for sep in ("=", ":") if sep in line]
    return min(positions) if positions else -1


def dump_ini(config):
    """Render a :class:`Config` back to INI text; sections separated by a blank line."""
    blocks = []
    for section in config.sections():
        lines = [f"[{section}]"]
        for key in config.keys(section):
            value = config.get(section, key)
            continuation = value.split("\n")
            lines.append(f"{key} = {continuation[0]}")
            lines.extend(f"    {part}" for part in continuation[1:])
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
