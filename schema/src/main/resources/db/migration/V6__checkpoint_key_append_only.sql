-- checkpoint_key is history like the rest: every key that ever signed a checkpoint stays, or old checkpoints could no
-- longer be verified. V5 refused its UPDATE and DELETE; TRUNCATE is refused too, as for every other history table.
create trigger checkpoint_key_no_truncate before truncate on checkpoint_key
    for each statement execute function ledger_refuse_change();
