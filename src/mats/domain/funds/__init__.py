"""The fund's investors and senders: NAV units, time-weighted returns and sender payouts."""
