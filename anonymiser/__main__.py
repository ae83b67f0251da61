from anonymiser.cli.entry import main

main()
