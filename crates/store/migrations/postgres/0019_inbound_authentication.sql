-- What the sender checks found (JSON: spf, dkim, dmarc, policy, aligned), for each message.
ALTER TABLE inbound_messages ADD COLUMN authentication TEXT;
