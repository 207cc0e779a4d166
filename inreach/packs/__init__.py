"""What the men take home: personalised resource packs and self-referral forms, one at a time
or a whole session's batch, all through the shared printing service."""
