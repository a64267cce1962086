maxcpus=8 nr_cpus=43
rcutree.gp_preinit_delay=3
rcutree.gp_init_delay=3
rcutree.gp_cleanup_delay=3
# The kernel's TREE01 also sets these; not modelled, so refused (configs/rcu/README.md):
# rcu_nocbs=0-1,3-7 (no callback offloading)
# rcutorture.nocbs_nthreads=8 rcutorture.nocbs_toggle=1000 (no offload toggling)
rcutorture.fwd_progress=0
rcutorture.onoff_interval=50 rcutorture.onoff_holdoff=1 # kernel: kvm.sh adds 1000 and 30 (configs/rcu/README.md, "Reach")
