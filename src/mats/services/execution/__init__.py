"""The bridge's execution, split by job: submitting orders (``submission``), booking fills
(``booking``), publishing accounts (``accounts``) and watching venues (``venues``)."""
