"""One module per command family; main.py puts them under the root command."""
