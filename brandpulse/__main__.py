from brandpulse.cli import cli

cli()
