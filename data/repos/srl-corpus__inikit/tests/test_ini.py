import pytest
from inikit import Config, IniError, dump_ini, parse_ini
from inikit.ini import strip_inline_comment, unquote


def test_parse_single_section():
    config = parse_ini("[server]\nhost = example.org\nport = 8080\n")
    assert config.sections() == ["server"]
    assert config.get("server", "host") == "example.org"


def test_keys_are_case_insensitive():
    config = parse_ini("[a]\nName = x\n")
    assert config.get("a", "NAME") == "x"


def test_keys_before_header_go_to_default_section():
    config = parse_ini("debug = yes\n[x]\ny = 1\n")
    assert config.get("DEFAULT", "debug") == "yes"


def test_colon_separator():
    assert parse_ini("[a]\nkey: value\n").get("a", "key") == "value"


def test_first_separator_wins():
    assert parse_ini("[a]\nurl = http://h:80\n").get("a", "url") == "http://h:80"


def test_comment_lines_are_ignored():
    config = parse_ini("# top\n[a]\n; note\nk = v\n")
    assert config.keys("a") == ["k"]


def test_inline_comment_is_stripped():
    assert parse_ini("[a]\nk = v ; trailing\n").get("a", "k") == "v"


def test_hash_without_space_is_kept():
    assert parse_ini("[a]\ncolor = #ff0000\n").get("a", "color") == "#ff0000"


def test_quoted_value_is_unquoted():
    assert parse_ini('[a]\nk = "spaced out "\n').get("a", "k") == "spaced out "


def test_continuation_line_appends():
    config = parse_ini("[a]\npaths = one\n  two\n  three\n")
    assert config.get("a", "paths") == "one\ntwo\nthree"


def test_missing_separator_raises_with_line_number():
    with pytest.raises(IniError) as info:
        parse_ini("[a]\nok = 1\nbroken\n")
    assert info.value.line_number == 3


def test_unterminated_header_raises():
    with pytest.raises(IniError):
        parse_ini("[a\n")


def test_empty_section_name_raises():
    with pytest.raises(IniError):
        parse_ini("[ ]\n")


def test_empty_key_raises():
    with pytest.raises(IniError):
        parse_ini("[a]\n = 3\n")


def test_get_default_when_missing():
    assert Config().get("nope", "k", "fallback") == "fallback"


def test_get_int_and_float():
    config = parse_ini("[n]\ni = 42\nf = 2.5\n")
    assert config.get_int("n", "i") == 42
    assert config.get_float("n", "f") == 2.5


def test_get_int_default():
    assert Config().get_int("n", "i", 7) == 7


@pytest.mark.parametrize("word", ["yes", "True", "on", "1"])
def test_get_bool_true_words(word):
    assert parse_ini(f"[b]\nflag = {word}\n").get_bool("b", "flag") is True


@pytest.mark.parametrize("word", ["no", "FALSE", "off", "0"])
def test_get_bool_false_words(word):
    assert parse_ini(f"[b]\nflag = {word}\n").get_bool("b", "flag") is False


def test_get_bool_rejects_other_words():
    with pytest.raises(ValueError):
        parse_ini("[b]\nflag = maybe\n").get_bool("b", "flag")


def test_get_list_skips_empty_items():
    config = parse_ini("[l]\nitems = a, b,, c \n")
    assert config.get_list("l", "items") == ["a", "b", "c"]


def test_get_list_missing_is_empty():
    assert Config().get_list("l", "items") == []


def test_remove_reports_existence():
    config = parse_ini("[a]\nk = v\n")
    assert config.remove("a", "k") is True
    assert config.remove("a", "k") is False


def test_merge_other_wins():
    base = parse_ini("[a]\nx = 1\ny = 2\n")
    base.merge(parse_ini("[a]\ny = 3\n[b]\nz = 4\n"))
    assert base.as_dict() == {"a": {"x": "1", "y": "3"}, "b": {"z": "4"}}


def test_add_section_rejects_empty_name():
    with pytest.raises(ValueError):
        Config().add_section("")


def test_dump_round_trip():
    text = "[a]\nx = 1\n\n[b]\ny = two\n"
    assert dump_ini(parse_ini(text)) == text


def test_dump_continuation():
    config = Config()
    config.set("a", "k", "one\ntwo")
    assert dump_ini(config) == "[a]\nk = one\n    two\n"


def test_dump_empty_config():
    assert dump_ini(Config()) == ""


def test_strip_inline_comment_keeps_plain_value():
    assert strip_inline_comment("plain") == "plain"


def test_unquote_mismatched_quotes_untouched():
    assert unquote("'abc\"") == "'abc\""
