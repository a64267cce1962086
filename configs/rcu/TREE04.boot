rcutree.rcu_fanout_leaf=4
