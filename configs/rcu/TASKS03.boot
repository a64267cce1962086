rcutorture.torture_type=tasks
# The kernel's TASKS03 also sets this; not modelled (configs/rcu/README.md, "Tasks RCU family"):
# nohz_full=1 (no nohz_full CPUs: idle is always dyntick-idle, busy CPUs always tick)
