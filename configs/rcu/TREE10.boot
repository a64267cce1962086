# rcutorture.fwd_progress=2 is the kernel's TREE10 setting; not modelled (no forward-progress
# tests), so refused (configs/rcu/README.md).
