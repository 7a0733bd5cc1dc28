"""Plain data the application passes to and gets from its ports: no behaviour beyond small derived facts."""
