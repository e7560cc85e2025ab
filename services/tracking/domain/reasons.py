"""Why a click is not attributable or a conversion was rejected (the contract's
``REJECTION_REASONS``; a test checks the two lists agree)."""

SELF_REFERRAL = "self_referral"
CLICK_FLOODING = "click_flooding"
TOO_FAST = "too_fast"
PARTNER_SUSPENDED = "partner_suspended"
ENROLLMENT_SUSPENDED = "enrollment_suspended"
CAMPAIGN_INACTIVE = "campaign_inactive"

ALL = (SELF_REFERRAL, CLICK_FLOODING, TOO_FAST, PARTNER_SUSPENDED, ENROLLMENT_SUSPENDED,
       CAMPAIGN_INACTIVE)
