rcutorture.torture_type=tasks-tracing
rcupdate.rcu_task_enqueue_lim=2
rcutorture.onoff_interval=50 rcutorture.onoff_holdoff=1 # kernel: kvm.sh adds 1000 and 30 (configs/rcu/README.md, "Reach")
