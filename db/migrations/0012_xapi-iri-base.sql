ALTER TABLE "organisations" ADD COLUMN "xapi_iri_base" text;
--> statement-breakpoint
-- hand-written
-- Once set, an organisation's xAPI identifier base never changes: statements already sent name it.
CREATE FUNCTION refuse_change_to_xapi_iri_base() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.xapi_iri_base IS NOT NULL AND NEW.xapi_iri_base IS DISTINCT FROM OLD.xapi_iri_base THEN
    RAISE EXCEPTION 'organisations.xapi_iri_base is fixed once set' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER organisations_xapi_iri_base_fixed BEFORE UPDATE OF xapi_iri_base ON organisations
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_xapi_iri_base();
