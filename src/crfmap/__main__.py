from crfmap.cli import run

run()
