import pytest
from inikit import CsvError, Table, read_csv, split_row, write_csv
from inikit.csvlite import convert, quote_field

SAMPLE = "name,qty,price\napple,3,0.5\npear,,1.25\nfig,10,2\n"


def test_split_simple_row():
    assert split_row("a,b,c") == ["a", "b", "c"]


def test_split_keeps_empty_fields():
    assert split_row("a,,c,") == ["a", "", "c", ""]


def test_split_quoted_delimiter():
    assert split_row('"a,b",c') == ["a,b", "c"]


def test_split_escaped_quote():
    assert split_row('"say ""hi""",x') == ['say "hi"', "x"]


def test_split_other_delimiter():
    assert split_row("a;b", delimiter=";") == ["a", "b"]


def test_split_unterminated_quote_raises():
    with pytest.raises(CsvError):
        split_row('"open,field')


def test_quote_field_only_when_needed():
    assert quote_field("plain") == "plain"
    assert quote_field("a,b") == '"a,b"'
    assert quote_field('q"') == '"q"""'


@pytest.mark.parametrize(("raw", "expected"), [("3", 3), ("-2", -2), ("2.5", 2.5), ("x", "x"), ("", None)])
def test_convert(raw, expected):
    assert convert(raw) == expected


def test_read_csv_types_values():
    table = read_csv(SAMPLE)
    assert table.column("qty") == [3, None, 10]
    assert table.column("price") == [0.5, 1.25, 2]


def test_read_csv_untyped_keeps_strings():
    assert read_csv(SAMPLE, typed=False).column("qty") == ["3", "", "10"]


def test_read_csv_skips_blank_lines():
    assert len(read_csv("a\n1\n\n2\n")) == 2


def test_read_csv_wrong_field_count():
    with pytest.raises(CsvError, match="line 3"):
        read_csv("a,b\n1,2\n3\n")


def test_read_csv_empty_text():
    with pytest.raises(CsvError):
        read_csv("   \n")


def test_read_csv_duplicate_header():
    with pytest.raises(CsvError):
        read_csv("a,a\n1,2\n")


def test_column_unknown_name():
    with pytest.raises(KeyError):
        read_csv(SAMPLE).column("weight")


def test_where_filters_rows():
    assert read_csv(SAMPLE).where("name", "fig").column("qty") == [10]


def test_sort_by_puts_none_last():
    assert read_csv(SAMPLE).sort_by("qty").column("name") == ["apple", "fig", "pear"]


def test_sort_by_reverse():
    assert read_csv(SAMPLE).sort_by("price", reverse=True).column("name") == ["fig", "pear", "apple"]


def test_total_skips_none():
    assert read_csv(SAMPLE).total("qty") == 13


def test_group_count():
    table = read_csv("k\nx\ny\nx\n")
    assert table.group_count("k") == {"x": 2, "y": 1}


def test_write_csv_round_trip():
    text = 'name,note\nann,"a, b"\nbob,\n'
    assert write_csv(read_csv(text)) == text


def test_table_copies_rows():
    rows = [{"a": 1}]
    table = Table(["a"], rows)
    rows[0]["a"] = 2
    assert table.column("a") == [1]
