from crfmap.cli import main

main()
