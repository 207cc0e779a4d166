"""Through the gate: referrals sent to their services and followed to an outcome."""
