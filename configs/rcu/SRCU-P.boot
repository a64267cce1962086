rcutorture.torture_type=srcud
rcutorture.fwd_progress=3
rcupdate.rcu_self_test=1
srcutree.big_cpu_lim=5
