"""The field registry is the one place a customer field is declared (issue: one home per rule)."""

import subprocess
import sys
from pathlib import Path

from app.services import customer_fields as registry

PROBE = Path(__file__).with_name("registry_probe.py")


def test_a_field_added_to_the_registry_appears_everywhere_without_other_code():
    """The probe adds a model column and one registry entry in its own process, then finds the
    field on the form, the card, the list and its filter, the export, the import and the history."""
    result = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True, timeout=600,
                            cwd=PROBE.parents[2])
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_label_the_card_form_and_history_show_comes_from_the_registry(app):
    with app.app_context():
        labels = registry.history_labels()
        vat = next(f for f in registry.FIELDS if f.key == "vat_type")
        assert vat.display("NormalVAT") == "Normal moms"  # the card says what the form says
        assert str(labels["vat_type"]) == "Momstyp" and str(labels["assigned_to_id"]) == "Tilldelad tekniker"
