locktorture.long_hold=1 locktorture.nwriters_stress=4
