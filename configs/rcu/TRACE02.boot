rcutorture.torture_type=tasks-tracing
rcutorture.fwd_progress=2
rcutorture.onoff_interval=50 rcutorture.onoff_holdoff=1 # kernel: kvm.sh adds 1000 and 30 (configs/rcu/README.md, "Reach")
