rcutorture.torture_type=tasks-tracing
# The kernel's TRACE02 also sets this; refused until the forward-progress tests exist (configs/rcu/README.md):
# rcutorture.fwd_progress=2
