from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from doctors.tests.factories import DoctorProfileFactory
from waitlist.models import WaitlistEntry
from waitlist.sync import waitlist_entry_sync_record


class WaitlistEntryFactory(factory.django.DjangoModelFactory):
    """A patient waiting for any slot of the next two weeks."""

    class Meta:
        model = WaitlistEntry

    patient = factory.SubFactory(PatientFactory)
    doctor = factory.SubFactory(DoctorProfileFactory)
    earliest_date = factory.LazyFunction(lambda: timezone.localdate())
    latest_date = factory.LazyAttribute(lambda o: o.earliest_date + timedelta(days=14))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Stands in for `waitlist_join`, which logs the entry for the offline sync.
        entry = super()._create(model_class, *args, **kwargs)
        waitlist_entry_sync_record(entry)
        return entry
