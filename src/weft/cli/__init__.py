"""The command line: thin commands over weft.ops; printing and exit codes live only here."""
