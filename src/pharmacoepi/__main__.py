from pharmacoepi.cli import main

main()
