locktorture.long_hold=1 locktorture.nwriters_stress=4 locktorture.onoff_interval=50 locktorture.onoff_holdoff=1
