from pharmacoepi.launch import main

main()
