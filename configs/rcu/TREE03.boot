rcutorture.onoff_interval=50 rcutorture.onoff_holdoff=1 # kernel: onoff_interval=200 onoff_holdoff=30 (configs/rcu/README.md, "Reach")
rcutree.gp_preinit_delay=12
rcutree.gp_init_delay=3
rcutree.gp_cleanup_delay=3
