from parity.cli.entry import main

main()
