from parity.cli.app import main

main()
