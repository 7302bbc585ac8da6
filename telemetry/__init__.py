"""What operators see of the gateway at work, free of any transport: call records."""
