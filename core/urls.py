from django.urls import path

from core import views

urlpatterns = [
    path("meta/config", views.MetaConfigView.as_view(), name="meta-config"),
    path("sync", views.SyncView.as_view(), name="sync"),
    path("meta/version", views.MetaVersionView.as_view(), name="meta-version"),
]
