from nremstats.cli import main

main()
