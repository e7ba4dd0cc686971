from errorregistry.catalog import Declaration

CODES = [
    Declaration("insufficient_credits", 402, "billing", "Not enough credits: {balance} left, {required} needed.",
                "Top up or wait for the monthly refill.",
                translations={"fr": ("Crédits insuffisants.", "Rechargez.")}),
]
