from django.urls import path

from chat import views

urlpatterns = [
    path("chat/threads", views.ThreadListCreateView.as_view(), name="chat-threads"),
    path("chat/threads/<uuid:thread_id>", views.ThreadDetailView.as_view(), name="chat-thread"),
    path("chat/threads/<uuid:thread_id>/messages", views.MessageListCreateView.as_view(), name="chat-messages"),
    path(
        "chat/threads/<uuid:thread_id>/messages/<uuid:message_id>/attachment",
        views.AttachmentDownloadView.as_view(),
        name="chat-message-attachment",
    ),
    path("chat/threads/<uuid:thread_id>/attachments", views.AttachmentUploadView.as_view(), name="chat-attachments"),
    path("chat/threads/<uuid:thread_id>/read", views.ThreadReadView.as_view(), name="chat-thread-read"),
    path("chat/threads/<uuid:thread_id>/archive", views.ThreadArchiveView.as_view(), name="chat-thread-archive"),
    path("chat/unread-count", views.UnreadCountView.as_view(), name="chat-unread-count"),
]
