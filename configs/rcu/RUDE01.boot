rcutorture.torture_type=tasks-rude
# The kernel's RUDE01 also sets this; not modelled (configs/rcu/README.md, "Tasks RCU family"):
# rcutree.use_softirq=0 (no rcuc kthreads: RCU_SOFTIRQ is always a softirq here)
rcutorture.onoff_interval=50 rcutorture.onoff_holdoff=1 # kernel: kvm.sh adds 1000 and 30 (configs/rcu/README.md, "Reach")
