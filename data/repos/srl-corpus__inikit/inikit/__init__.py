"""inikit: INI configuration and CSV table helpers."""

from inikit.csvlite import CsvError, Table, read_csv, split_row, write_csv
from inikit.ini import Config, IniError, dump_ini, parse_ini

__all__ = [
    "Config",
    "CsvError",
    "IniError",
    "Table",
    "dump_ini",
    "parse_ini",
    "read_csv",
    "split_row",
    "write_csv",
]
