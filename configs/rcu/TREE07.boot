rcutorture.onoff_interval=50 rcutorture.onoff_holdoff=1 # kernel: no .boot (nohz_full=2-9 left out); kvm.sh adds 1000 and 30 (configs/rcu/README.md, "Reach")
