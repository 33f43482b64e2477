-- Why a campaign's send ended `failed` (its job ran out of attempts), for the admin.
ALTER TABLE campaigns ADD COLUMN error TEXT;
