rcutorture.torture_type=tasks
rcupdate.rcu_task_enqueue_lim=4
# The kernel's TASKS01 also sets this; not modelled (configs/rcu/README.md, "Tasks RCU family"):
# rcutree.use_softirq=0 (no rcuc kthreads: RCU_SOFTIRQ is always a softirq here)
rcutorture.onoff_interval=50 rcutorture.onoff_holdoff=1 # kernel: kvm.sh adds 1000 and 30 (configs/rcu/README.md, "Reach")
