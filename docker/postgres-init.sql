-- One database per service, and the BFF's read model (the migrate job would create
-- missing ones too).
CREATE DATABASE alpes_partners;
CREATE DATABASE alpes_campaigns;
CREATE DATABASE alpes_tracking;
CREATE DATABASE alpes_commissions;
CREATE DATABASE alpes_payouts;
CREATE DATABASE alpes_identity;
CREATE DATABASE alpes_webhooks;
CREATE DATABASE alpes_bff;
