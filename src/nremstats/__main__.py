from nremstats.cli.main import main

main()
