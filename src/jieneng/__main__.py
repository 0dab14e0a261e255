from jieneng.cli.main import main

main()
