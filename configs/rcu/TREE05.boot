rcutree.gp_preinit_delay=3
rcutree.gp_init_delay=3
rcutree.gp_cleanup_delay=3
rcupdate.rcu_self_test=1
rcutorture.onoff_interval=50 rcutorture.onoff_holdoff=1 # kernel: kvm.sh adds 1000 and 30 (configs/rcu/README.md, "Reach")
