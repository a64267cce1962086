rcutorture.torture_type=srcud
rcupdate.rcu_self_test=1
srcutree.big_cpu_lim=5
