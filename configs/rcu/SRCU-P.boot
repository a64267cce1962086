rcutorture.torture_type=srcud
rcutorture.fwd_progress=3
rcupdate.rcu_self_test=1
srcutree.big_cpu_lim=5
rcutorture.onoff_interval=50 rcutorture.onoff_holdoff=1 # kernel: kvm.sh adds 1000 and 30 (configs/rcu/README.md, "Reach")
