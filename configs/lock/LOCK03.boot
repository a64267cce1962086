locktorture.torture_type=rwsem_lock locktorture.long_hold=1 locktorture.onoff_interval=50 locktorture.onoff_holdoff=1
