from anonymiser.cli.app import main

main()
