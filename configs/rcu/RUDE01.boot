rcutorture.torture_type=tasks-rude
# The kernel's RUDE01 also sets this; not modelled (configs/rcu/README.md, "Tasks RCU family"):
# rcutree.use_softirq=0 (no rcuc kthreads: RCU_SOFTIRQ is always a softirq here)
